"""What composes the apps for operators: the admin site with its dashboard, and the demo data.

It sits above every app (and the portal), so `marketplace/`, the base, imports none of them.
"""
