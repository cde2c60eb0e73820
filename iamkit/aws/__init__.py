"""Everything that touches the AWS SDK: sessions, retries, the read-only guard, the IAM policy."""
