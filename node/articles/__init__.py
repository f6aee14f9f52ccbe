"""The public site's articles (``node.articles``) and the public home's words
(``node.site``): commands and reads over the node's core; Markdown is rendered and
sanitized here, so every page shows the same safe HTML."""
