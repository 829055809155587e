"""The supplier's compliance pages: where each listing may be sold and why not, its test records
and certificates, audits and corrective actions, enforcement cases and appeals, sampling."""
