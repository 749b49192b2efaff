"""One router per agent function; each endpoint first checks the token's function."""
