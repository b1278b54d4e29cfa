"""One module per mechanism of MODEL.md, each with its equations and its source article."""
