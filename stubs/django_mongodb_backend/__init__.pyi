# Type stubs for the parts of django-mongodb-backend this project's code uses (the package ships
# none). The point is its ObjectId fields: without them the Django plugin types every primary
# and foreign key as an int.
