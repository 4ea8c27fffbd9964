"""Checks on the built site as a reader gets it: `python -m sitecheck [SITE]` (`make check-site`).

- links: every internal link and resource resolves over HTTP (linkchecker, against the site
  served from localhost), and every anchor (#fragment) exists on its target page;
- html: the pages validate with the Nu HTML Checker (vnu), apart from findings listed, with a
  reason each, in theme-exceptions.toml;
- hosts: no page or stylesheet makes the browser load anything from another host.

Separate from `generator/`: these read the output, never the records.
"""
