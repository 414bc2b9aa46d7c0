"""leadflow: multi-agent AI sales development, durable and offline-first."""
