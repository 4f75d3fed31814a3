# Never run by `vmig import alembic`: it renders each revision with an
# environment of its own.  Importing it fails on purpose, to prove that.
raise RuntimeError("env.py must not be run by the import")
