"""The AP Journey event contract: envelope, event models, topics and code sets.

Everything a producer or consumer of the journey stream must agree on lives here and nowhere else.
"""
