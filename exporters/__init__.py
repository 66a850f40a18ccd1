"""Exporters: one module per output (the analyst briefing, the NER training set), each with one public function."""
