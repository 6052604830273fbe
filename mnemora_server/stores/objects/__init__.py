"""Object stores for the cold tier of episodic memory: local files and S3."""
