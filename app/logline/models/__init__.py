"""Qt-free model management: where models live, importing GGUF files, the embedded default."""
