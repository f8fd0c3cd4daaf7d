"""End-to-end tests; `user_project/` is a user's project the tests copy and run, not ours."""

collect_ignore = ["user_project"]
