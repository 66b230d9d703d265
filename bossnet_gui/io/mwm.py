"""Placeholder until the reader lands."""
def identify(hdul): return False
def read(hdul, path): raise NotImplementedError
identify_apstar = identify_aspcapstar = identify_apvisit = identify
read_apstar = read_aspcapstar = read_apvisit = read
