s = """never
\"""
r = rb'\'