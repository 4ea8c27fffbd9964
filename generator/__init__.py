"""Evidence-site generator: study records (YAML) -> validated model -> Markdown pages.

Pipeline stages, one module each: load -> validate -> model -> collate -> render -> write;
`cli` is the only module that prints or exits.
"""

__version__ = "0.1.0"
