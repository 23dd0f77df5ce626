"""ECS on the emulation: RunTask runs the DataHub ingestion container's command."""
