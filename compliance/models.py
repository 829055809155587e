"""Test programmes, labs, test records, certificates, audits, sampling and the compliance gates
(SPEC, "Compliance: third-party testing").

The models arrive with the compliance issue; the app is registered now.
"""
