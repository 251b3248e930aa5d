"""The questions of a request, each declared once (catalogue.py) with its form (forms.py).

A question drives its page in the journey, its row on "check your answers", the columns
it is stored in, what staff see, the evidence summary and the "information we hold" page.
"""
