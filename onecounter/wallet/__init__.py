"""The citizen's own side of the one-stop: their dossiers and their document wallet."""
