"""Verification metrics (EER, minDCF, actDCF, Cllr), plots and RESULTS.md tables."""
