"""Stand-ins for services moto has no backend for, served on their own (the MWAA API)."""
