"""Customers, KYC, blacklists, file sections, images, customer 360."""
