"""Files shipped with Logline: prompts, the sample script, icons, the stylesheet."""
