"""Models and the query functions views call. Views never build queries themselves."""
