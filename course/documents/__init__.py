"""Printable documents (PDF with ReportLab, XLSX with openpyxl): pure functions from data to bytes."""
