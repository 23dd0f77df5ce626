"""The run command (`./run_pipelines_locally.sh`, `python -m devkit.run`) and what it is made of.

`local_env.LocalPipeline` is one local stand-in for an MWAA environment (also the
integration tests' fixture); `pipelines` orders the DagRuns; `console` and
`summary` print them; `ui` starts `airflow standalone`; `serve` keeps the
emulation up for a shell of your own.
"""
