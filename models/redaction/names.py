"""Common given names and surnames, so names are found in lower-case, unpunctuated ASR text.

spaCy's small English model finds PERSON well in cased text and poorly in `my name is john smith`.
These lists back the cue-based and bigram rules; AMBIGUOUS names (also everyday words or
places) count only after a cue or beside another name.
"""

from __future__ import annotations


def _words(block: str) -> frozenset[str]:
    return frozenset(block.split())


FIRST_NAMES = _words("""
james john robert michael william david richard joseph thomas charles christopher daniel matthew anthony
donald steven paul andrew joshua kenneth kevin brian george timothy ronald edward jason jeffrey ryan jacob
gary nicholas eric jonathan stephen larry justin scott brandon benjamin samuel gregory alexander patrick
raymond jack dennis jerry tyler aaron jose adam nathan henry zachary douglas peter kyle noah ethan jeremy
walter christian keith roger terry austin sean gerald carl harold dylan arthur lawrence jordan jesse bryan
billy bruce gabriel joe logan alan juan albert willie elijah wayne randy vincent mason roy ralph bobby
russell bradley philip eugene liam oliver lucas owen caleb isaac luke connor evan ian hunter carter
mary patricia jennifer linda elizabeth barbara susan jessica sarah karen lisa nancy betty sandra margaret
ashley kimberly emily donna michelle carol amanda melissa deborah stephanie dorothy rebecca sharon laura
cynthia amy kathleen angela shirley brenda emma anna pamela nicole samantha katherine christine helen
debra rachel carolyn janet maria catherine heather diane olivia julie joyce victoria ruth virginia lauren
kelly christina joan evelyn judith andrea hannah megan cheryl jacqueline martha madison teresa gloria sara
janice ann kathryn abigail sophia frances jean alice judy isabella julia grace amber denise danielle
marilyn beverly charlotte natalie theresa diana brittany doris kayla alexis lori marie ava mia chloe
zoe lily ella avery harper aria scarlett layla riley nora hazel aurora savannah audrey brooklyn bella
claire skylar lucy paisley anna caroline nova genesis emilia kennedy maya willow kinsley naomi aaliyah
elena sarah ariana allison gabriella alice madelyn cora ruby eva serenity autumn adeline hailey gianna
valentina isla eliana quinn nevaeh ivy sadie piper lydia alexa josephine emery delilah arianna vivian
kaylee sophie brielle madeline rylee clara hadley melanie mackenzie reagan adalynn liliana aubree jade
katherine isabelle natalia raelynn maria athena ximena arya leilani taylor faith rose kylie alexandra
mohammed muhammad ahmed ali omar hassan hussein fatima aisha yusuf ibrahim mustafa khalid zainab layla
priya rahul amit ravi sunil anil vijay sanjay raj rajesh suresh ramesh mahesh deepak arjun rohan aditya
vikram karan nikhil neha pooja anjali divya kavya sneha shreya ananya aditi meera lakshmi sita gita
aarav vihaan ishaan krishna arun ajay manoj pradeep ashok kiran sunita rekha asha usha geeta nisha
wei li ming jun hao yan xin mei ling hui chen jie lei yi na jing fang hiroshi takashi yuki haruto
sakura kenji akira yuto aiko daisuke minjun seojun jiho minseo jisoo hyun
carlos luis jorge miguel pedro alejandro fernando ricardo eduardo javier diego sergio manuel francisco
rafael andres pablo antonio roberto mateo santiago sebastian camila valeria lucia sofia daniela mariana
gabriela carmen rosa ana isabel elena paula andrea adriana natalia alejandra juana guadalupe
pierre jean louis francois nicolas antoine julien mathieu sebastien camille chloe manon lea amelie
hans klaus jurgen stefan wolfgang andreas lukas felix maximilian lena leonie hannah anke
giuseppe giovanni marco luca matteo francesco alessandro giulia chiara francesca alessia
ivan dmitri sergei alexei nikolai vladimir olga natasha svetlana tatiana irina anastasia
kwame kofi chidi emeka oluwaseun tunde ngozi amara chiamaka adaeze ayodele folake thandiwe sipho
lars erik nils sven anders ingrid astrid sigrid freya johan
sean siobhan niamh aoife ciaran padraig declan eoin liam
""")

LAST_NAMES = _words("""
smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez lopez gonzalez wilson
anderson thomas taylor moore jackson martin lee perez thompson white harris sanchez clark ramirez lewis
robinson walker young allen king wright scott torres nguyen hill flores green adams nelson baker hall
rivera campbell mitchell carter roberts gomez phillips evans turner diaz parker cruz edwards collins reyes
stewart morris morales murphy cook rogers gutierrez ortiz morgan cooper peterson bailey reed kelly howard
ramos kim cox ward richardson watson brooks chavez wood james bennett gray mendoza ruiz hughes price
alvarez castillo sanders patel myers long ross foster jimenez powell jenkins perry russell sullivan bell
coleman butler henderson barnes gonzales fisher vasquez simmons romero jordan patterson alexander hamilton
graham reynolds griffin wallace moreno west cole hayes bryant herrera gibson ellis tran medina aguilar
stevens murray ford castro marshall owens harrison fernandez mcdonald woods washington kennedy wells
vargas henry chen freeman webb tucker guzman burns crawford olson simpson porter hunter gordon mendez
silva shaw snyder mason dixon munoz hunt hicks holmes palmer wagner black robertson boyd rose stone
salazar fox warren mills meyer rice schmidt garza daniels ferguson nichols stephens soto weaver ryan
gardner payne grant dunn kelley spencer hawkins arnold pierce vazquez hansen peters santos hart bradley
knight elliott cunningham duncan armstrong hudson carroll lane riley andrews alvarado ray delgado berry
perkins hoffman johnston matthews pena richards contreras willis carpenter lawrence sandoval guerrero
george chapman rios estrada ortega watkins greene nunez wheeler valdez harper burke larson santiago
maldonado morrison franklin carlson austin dominguez carr lawson jacobs obrien lynch singh vega bishop
montgomery oliver jensen harvey williamson gilbert dean sims espinoza howell li wong reid hanson le
mccoy garrett burton fuller wang weber welch rojas lucas marquez fields park yang little banks padilla
day walsh bowman schultz luna fowler mejia davidson acosta brewer may holland juarez newman pearson
curtis cortez douglas schneider joseph barrett navarro figueroa keller avila wade molina stanley hopkins
campos barnett bates chambers caldwell beck lambert miranda byrd craig ayala lowe frazier powers neal
leonard gregory carrillo sutton fleming rhodes shelton schwartz norris jennings watts duran walters
cohen mcdaniel moran parks steele vaughn becker holt deleon barker terry hale leon hail benson haynes
horton miles lyons pham graves bush thornton wolfe warner cabrera mckinney mann zimmerman dawson lara
fletcher page mccarthy love robles cervantes solis erickson reeves chang klein salinas fuentes baldwin
daniel simon velasquez hardy higgins aguirre lin cummings chandler sharp barber bowen ochoa dennis
robbins liu ramsey francis griffith paul blair oconnor cardenas pacheco cross calderon quinn moss
swanson chan rivas khan rodgers serrano fitzgerald rosales stevenson christensen manning gill curry
mclaughlin harmon mcgee gross doyle garner newton burgess reese walton blake trujillo adkins brady
goodman roman webster goodwin fischer huang potter delacruz montoya todd wu hines mullins castaneda
malone cannon tate mack sherman hubbard hodges zhang guerra wolf valencia saunders franco rowe gallagher
farmer hammond hampton townsend ingram wise gallegos clarke barton schroeder maxwell waters logan
camacho strickland norman person colon parsons frank harrington glover osborne buchanan casey floyd
patton ibarra ball tyler suarez bowers orozco salas cobb gibbs andrade bauer conner moody escobar
mcguire lloyd mueller hartman french kramer mcbride pope lindsey velazquez norton mccormick sparks
flynn yates hogan marsh macias villanueva zamora pratt stokes owen ballard lang brock villarreal
charles drake barrera cain patrick pineda burnett mercado santana shepherd bautista ali shaffer lamb
trevino mckenzie hess beil olsen cochran morton nash wilkins petersen briggs shah roth nicholson holloway
lozano rangel flowers hoover short arias mora valenzuela bryan meyers weiss underwood bass greer summers
houston carson morrow clayton whitaker decker yoder collier zuniga carey wilcox melendez poole roberson
larsen conley davenport copeland massey lam huff rocha cameron jefferson hood monroe anthony pittman
huynh randall singleton kirk combs mathis christian skinner bradford richard galvan wall boone kirby
wilkinson bridges bruce atkinson velez meza roy vincent york hodge villa abbott allison tapia gates
chase sosa sweeney farrell wyatt dalton horn barron phelps yu dickerson heath foley atkins mathews
bonilla acevedo benitez zavala hensley glenn cisneros harrell shields rubio huffman choi boyer garrison
arroyo bond kane hancock callahan dillon cline wiggins grimes arellano melton oneill savage ho beltran
pitts parrish ponce rich booth koch golden ware brennan mcdowell marks cantu humphrey baxter sawyer
clay tanner hutchinson kaur berg wiley gilmore russo villegas hobbs keith wilkerson ahmed beard
mcclain montes mata rosario vang walter henson oneal mosley mcclure beasley stephenson snow huerta
preston vance barry johns eaton blackwell dyer prince macdonald solomon guevara stafford english
hurst woodard cortes shannon kemp nolan mccullough merritt murillo moon salgado strong kline cordova
barajas roach rosas winters jacobson lester knox bullock kerr leach meadows orr davila whitehead pruitt
kent conway mckee barr david dejesus marin berger mcintyre blankenship gaines palacios cuevas bartlett
durham dorsey mccall odonnell stein browning stout lowery sloan mclean hendricks calhoun sexton chung
gentry hull duarte ellison nielsen gillespie buck middleton sellers leblanc esparza hardin bradshaw
mcintosh howe livingston frost glass morse knapp herman stark bravo noble spears weeks corona frederick
buckley mcfarland hebert enriquez hickman quintero randolph schaefer walls trejo house reilly pennington
michael conrad giles benjamin crosby fitzpatrick donovan mays mahoney valentine raymond medrano hahn
mcmillan small bentley felix peck lucero boyle hanna pace rush hurley harding mcconnell bernal nava
ayers everett ventura avery pugh mayer bender shepard mcmahon landry case sampson moses magana
blackburn dunlap gould duffy vaughan herring mckay espinosa rivers farley bernard ashley friedman potts
truong costa correa blevins nixon clements fry delarosa best benton lugo portillo dougherty crane haley
phan villalobos blanchard horne finley quintana lynn esquivel bean dodson mullen xiong hayden cano levy
huber richmond moyer lim frye sheppard mccarty avalos booker waller parra woodward jaramillo krueger
rasmussen brandt peralta donaldson stuart faulkner maynard galindo coffey estes sanford burch maddox
vo oconnell vu andersen spence mcpherson church schmitt stanton leal cherry compton dudley sierra
pollard alfaro hester proctor lu hinton novak good madden mccann terrell jarvis dickson reyna cantrell
mayo branch hendrix rollins rowland whitney duke odom daugherty travis tang archer
sharma verma gupta kumar mehta joshi reddy iyer nair rao desai agarwal chopra kapoor malhotra bhatia
banerjee chatterjee mukherjee das bose ghosh sen pillai menon naidu chauhan yadav mishra pandey tiwari
srivastava saxena jain bhat kulkarni patil deshmukh shetty hegde
wang zhang liu chen yang zhao huang zhou wu xu sun ma zhu hu guo he lin luo zheng liang
tanaka suzuki takahashi watanabe ito yamamoto nakamura kobayashi kato yoshida yamada sasaki matsumoto
kim lee park choi jung kang cho yoon jang lim
muller schmidt schneider fischer weber meyer wagner becker schulz hoffmann koch richter klein wolf
rossi russo ferrari esposito bianchi romano colombo ricci marino greco bruno gallo conti
dubois martin bernard moreau laurent lefebvre leroy roux fournier girard bonnet dupont lambert
ivanov petrov smirnov kuznetsov popov sokolov lebedev kozlov novikov morozov
okafor adeyemi okonkwo mensah osei boateng nwosu eze obi adebayo
""")

# Given names that are also everyday words, months, places or brands: never taken on their own,
# only after a strong cue ("my name is") or right before a known surname.
AMBIGUOUS = _words("""
will mark bill grace hope joy faith may june april august rose jack frank sandy chase hunter summer
dawn sky crystal amber ruby ivy lily daisy holly iris violet cliff dale glen wade miles chance sunny
rich ray guy art don gene earl van royal king young price brown white black green gray long little
hill wood stone rivers bush baker cook carpenter jordan paris austin georgia virginia carolina
florence sydney victoria dallas houston madison phoenix lincoln washington jackson denver savannah
brooklyn india china israel kennedy harper mason carter parker cooper tyler genesis nova aurora
serenity autumn willow quinn piper reagan skylar nevaeh london cruz reed ward bell ross page love
nash short best good branch church travis archer li ma he lin sun ming na yi jun lei sin eva ana
taylor avery riley logan dylan hunter faith joy can sue pat
""")
