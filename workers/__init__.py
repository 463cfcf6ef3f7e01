"""What runs jobs: the RQ job function, the worker process, and the worker pool.

Nothing here imports Gradio, and importing a user's app here never starts a server.
"""
