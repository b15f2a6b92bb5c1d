"""The customer's own channel (H5 on the phone): login by ID number, mobile and SMS code, the
customer's applications, credit lines, contract signing and drawdowns — never anyone else's."""
