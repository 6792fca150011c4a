"""Scheduled campaign work. A campaign's state is read from its dates, so nothing runs yet."""
