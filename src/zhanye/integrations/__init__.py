"""Third-party providers behind protocols (identity check, credit bureau, OCR, SMS, e-signature
CA, clearing), with deterministic sandbox implementations, timeouts and circuit breakers."""
