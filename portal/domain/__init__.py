"""Pure rules of the register: no Flask, no database."""
