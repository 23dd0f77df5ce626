"""EMR Serverless on the emulation: job runs run their Spark job in local PySpark."""
