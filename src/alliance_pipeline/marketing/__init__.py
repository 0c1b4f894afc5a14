"""Marketing automation: partners' campaign audiences and how the targeted persons responded."""
