"""Local HTTP servers that speak a third party's API, for tests that must not reach the real one."""
