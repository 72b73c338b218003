"""Bookings from insurance cases (Flow 4): practitioners, clients, series per insurer case, appointments, invoices."""
