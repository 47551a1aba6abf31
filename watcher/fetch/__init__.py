"""Getting bytes: HTTP fetching and decoding to text."""
