"""Scorecards have no tables of their own: a supplier's scorecard is `suppliers.Scorecard`
(low, so tenders, stocking caps and compliance sampling read it); this app computes it from the
apps above suppliers."""
