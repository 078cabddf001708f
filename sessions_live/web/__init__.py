"""The HTTP side: who is on the other end, htmx and Turbo, the CSP nonce, the client's
configuration at page load, sign-in and what the sign-in page is told of a sign-out."""
