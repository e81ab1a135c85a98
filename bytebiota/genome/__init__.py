"""Genomes as text: the assembler, the disassembler, and the shipped ancestors."""
