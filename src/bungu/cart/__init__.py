"""The cart: kept on the server, found through a cookie, merged into the account on sign-in."""
