"""The DataHub CLI on this machine: its own venv, its warm processes, the recipe validator.

`validate.py` and `zygote.py` also run as scripts inside `.venv-datahub`, so they
import nothing from devkit; no module here may share a standard library name
(a script's folder comes first on its `sys.path`).
"""
