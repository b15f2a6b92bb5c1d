"""End-of-day orchestration: ordered, resumable steps that features register."""
