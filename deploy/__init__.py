"""Deploy Digitpad to a Hugging Face Space (`python -m deploy --help`)."""
