"""S3 on the emulation: moto's own S3, read and written in-process by the other services."""
