"""Statutory returns: AP census (XML, CSV working file, validation) and school census AP."""
