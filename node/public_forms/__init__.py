"""What every public form of the site shares (a stranger's sign-up, no login): signed,
expiring links (``tokens``) and the rules that hold whatever a flood sends (``guard``).
Imports ``node.mail`` and ``protocol``; the web side is ``web_ui/public_forms.py``."""
