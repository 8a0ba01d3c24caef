"""One run and its directory: the layout of the files, the pipeline that fills them, the job
around it (lock, exit codes), its record, provenance and disk checks, and a finished run read back."""
