"""Production stores on one DynamoDB table: accounts, working memory and hot episodes.

Every access names a full partition key (``tenant#agent``, or a ``/``-prefixed key of the
accounts and indexes); nothing here ever scans the table.
"""
