"""What is kept on disk: content, config, the journal, paths and private scratch files."""
