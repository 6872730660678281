from django.shortcuts import render

from offices.models import Office


def home(request):
    return render(request, "home.html", {"offices": Office.objects.all()})
